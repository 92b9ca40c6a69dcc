import {expect} from 'chai'

import {fieldsUnavailableWith} from '../../src/fields/index.js'

describe('fields: which mapped fields a missing IDENT column takes away', () => {
  it('a missing birthday column takes the age and the birthday', () => {
    expect(fieldsUnavailableWith(['birthday'])).to.deep.equal(['age', 'birthday'])
  })

  it('a missing mobile phone column takes nothing: the phone still comes from Persons.Phone', () => {
    expect(fieldsUnavailableWith(['mobilePhone'])).to.deep.equal([])
  })

  it('missing receptions take the visit history and the count; a missing discount table the discount', () => {
    expect(fieldsUnavailableWith(['visits', 'totalVisits'])).to.deep.equal(['visits', 'total_visits'])
    expect(fieldsUnavailableWith(['discount'])).to.deep.equal(['discount'])
  })

  it('nothing missing, nothing taken', () => {
    expect(fieldsUnavailableWith([])).to.deep.equal([])
  })
})
